import CFuzzDriver
import Glibc

// SwiftPM gives every executable its own main, which replaces libFuzzer's:
// hand the command line to libFuzzer's driver instead.
// `hqt-fuzz-wal --make-seeds DIR` writes seed inputs instead (Seeds.swift).
if CommandLine.arguments.count == 3 && CommandLine.arguments[1] == "--make-seeds" {
    makeSeeds(into: CommandLine.arguments[2])
    exit(0)
}
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, count in fuzzOneInput(data, count) })

import CFuzzDriver
import Glibc

// SwiftPM gives every executable its own main, which replaces libFuzzer's:
// hand the command line to libFuzzer's driver instead.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, count in fuzzOneInput(data, count) })

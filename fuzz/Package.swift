// swift-tools-version:6.0
import PackageDescription

// Fuzz targets for HQT (docs/fuzzing.md), a package of their own so that the
// main Package.swift and its build stay as they are. Build and run them with
// scripts/fuzz.sh: `swift build -c release -Xswiftc -sanitize=fuzzer,address`
// instruments these targets and the HQT modules they link.
//
// The dependency is named because a path dependency's identity is otherwise
// its directory name, which differs between checkouts.
let package = Package(
    name: "HQTFuzz",
    dependencies: [.package(name: "HQT", path: "..")],
    targets: [
        // Declares libFuzzer's LLVMFuzzerRunDriver (SwiftPM executables keep their own main).
        .target(name: "CFuzzDriver"),
        // Input reader and status checks shared by the targets.
        .target(name: "FuzzSupport", dependencies: [.product(name: "hqt", package: "HQT")]),
        .executableTarget(
            name: "hqt-fuzz-cabi",
            dependencies: ["CFuzzDriver", "FuzzSupport", .product(name: "hqt", package: "HQT")]),
        .executableTarget(
            name: "hqt-fuzz-wal",
            dependencies: ["CFuzzDriver", "FuzzSupport", .product(name: "hqt", package: "HQT")]),
    ]
)

// swift-tools-version:6.0
import PackageDescription

// HQT, by role (see docs/architecture.md):
//   HQTCore       the engine: Account, Book, Feed, Stats coordinated by Engine;
//                 the journal and sink protocols. No C dependency.
//   HQTWAL        the write-ahead log file layer (CRC-32 from zlib) and the
//                 engine's journal on it.
//   HQTBroadcast  the ZeroMQ publisher and the engine's broadcast sink.
//   HQTCAPI       only the @_cdecl exports behind include/hqt.h, built as the
//                 shared library libhqt.so.
// C libraries are reached through tiny system-library targets (module maps
// only), as swift-nio does.

// Dynamic exclusivity checks cost ~20% on the tick path. Debug builds (and
// so the test suite) keep them, which is where a callback re-entering the
// engine mid-mutation would be caught.
let releaseSpeed: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "HQT",
    products: [
        .library(name: "hqt", type: .dynamic, targets: ["HQTCAPI"]),
        .library(name: "HQTCore", targets: ["HQTCore"]),
        .library(name: "HQTWAL", targets: ["HQTWAL"]),
        .library(name: "HQTBroadcast", targets: ["HQTBroadcast"]),
    ],
    targets: [
        .systemLibrary(
            name: "CZeroMQ", pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CHQTABI"),
        .target(name: "HQTCore", swiftSettings: releaseSpeed),
        .target(name: "HQTWAL", dependencies: ["HQTCore", "CZlib"], swiftSettings: releaseSpeed),
        .target(name: "HQTBroadcast", dependencies: ["HQTCore", "CZeroMQ", "CZlib"], swiftSettings: releaseSpeed),
        .target(
            name: "HQTCAPI",
            dependencies: ["HQTCore", "HQTWAL", "HQTBroadcast", "CHQTABI"],
            linkerSettings: [.unsafeFlags(["-static-stdlib"])]
        ),
        .testTarget(name: "HQTTests", dependencies: ["HQTCore", "HQTWAL", "HQTBroadcast", "CZeroMQ"]),
        // Benchmarks: build with -c release.
        .executableTarget(name: "hqt-wal-bench", dependencies: ["HQTCore", "HQTWAL"], path: "bench/wal"),
        .executableTarget(
            name: "hqt-engine-bench", dependencies: ["HQTCore", "HQTWAL", "HQTBroadcast"], path: "bench/engine-io",
            exclude: ["bench_python_io.py"]),
    ]
)

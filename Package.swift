// swift-tools-version:6.0
import PackageDescription

// HQT: the engine, broadcaster and write-ahead log live in the `HQT` module;
// `HQTCAPI` holds only the @_cdecl exports behind include/hqt.h and is built
// as the shared library libhqt.so. C libraries are reached through tiny
// system-library targets (module maps only), as swift-nio does.
let package = Package(
    name: "HQT",
    products: [
        .library(name: "hqt", type: .dynamic, targets: ["HQTCAPI"]),
        .library(name: "HQTCore", targets: ["HQT"]),
    ],
    targets: [
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq",
                       providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CHQTABI"),
        .target(
            name: "HQT",
            dependencies: ["CZeroMQ", "CZlib"],
            // Dynamic exclusivity checks cost ~20% on the tick path. Debug
            // builds (and so the test suite) keep them, which is where a
            // callback re-entering the engine mid-mutation would be caught.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        .target(
            name: "HQTCAPI",
            dependencies: ["HQT", "CHQTABI"],
            linkerSettings: [.unsafeFlags(["-static-stdlib"])]
        ),
        .testTarget(name: "HQTTests", dependencies: ["HQT", "CZeroMQ"]),
        // Benchmarks: build with -c release.
        .executableTarget(name: "hqt-wal-bench", dependencies: ["HQT"], path: "bench/wal"),
        .executableTarget(name: "hqt-engine-bench", dependencies: ["HQT"], path: "bench/engine-io",
                          exclude: ["bench_python_io.py"]),
    ]
)

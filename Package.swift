// swift-tools-version: 6.2
import PackageDescription

// Dependencies point one way:
//   churnkit (executable) → ChurnCLI → ChurnKit → LinearAlgebra → CBLASLAPACK
//                                          └────→ ByteStreams   → CZlib, CGlibcExtras
// Only LinearAlgebra and ByteStreams touch unsafe pointers, and both compile
// with strict memory safety so every unsafe operation is marked and visible.
let package = Package(
  name: "ChurnKit",
  products: [
    .library(name: "ChurnKit", targets: ["ChurnKit"]),
    .executable(name: "churnkit", targets: ["churnkit"]),
  ],
  targets: [
    // MARK: - C libraries from Debian (headers and link lines only)
    .systemLibrary(
      name: "CBLASLAPACK",
      path: "Sources/CBLASLAPACK",
      providers: [.apt(["libblas-dev", "liblapack-dev"])]
    ),
    .systemLibrary(
      name: "CZlib",
      path: "Sources/CZlib",
      providers: [.apt(["zlib1g-dev"])]
    ),
    .systemLibrary(name: "CGlibcExtras", path: "Sources/CGlibcExtras"),

    // MARK: - The only modules with unsafe code
    .target(
      name: "LinearAlgebra",
      dependencies: ["CBLASLAPACK"],
      swiftSettings: [.strictMemorySafety()]
    ),
    .target(
      name: "ByteStreams",
      dependencies: ["CZlib", "CGlibcExtras"],
      swiftSettings: [.strictMemorySafety()]
    ),

    // MARK: - The library and the command line
    .target(name: "ChurnKit", dependencies: ["LinearAlgebra", "ByteStreams"]),
    .target(name: "ChurnCLI", dependencies: ["ChurnKit", "ByteStreams"]),
    .executableTarget(name: "churnkit", dependencies: ["ChurnCLI", "ByteStreams"]),

    // MARK: - Benchmarks (run by bench/*.sh, always in release)
    .executableTarget(
      name: "churnkit-bench", dependencies: ["ChurnKit", "ByteStreams", "LinearAlgebra"], path: "bench/swift"),

    // MARK: - Tests
    .target(name: "ChurnTestSupport", dependencies: ["ChurnKit", "LinearAlgebra"]),
    .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra", "ChurnTestSupport"]),
    .testTarget(name: "ChurnKitTests", dependencies: ["ChurnKit", "ByteStreams", "ChurnTestSupport"]),
    .testTarget(name: "ChurnCLITests", dependencies: ["ChurnCLI", "ChurnKit", "ChurnTestSupport"]),
  ]
)

// swift-tools-version: 6.2
import PackageDescription

// Dependencies point one way, down the pipeline (an arrow the design
// forbids does not compile):
//   churnkit → ChurnCLI → ChurnSimulation → ChurnArtifacts → ChurnDecisions
//     → ChurnModels → ChurnData → ChurnIO → ByteStreams → CZlib, CSQLite, CLibPQ, CGlibcExtras
//   ChurnModels, ChurnData → LinearAlgebra → CBLASLAPACK
// Only LinearAlgebra and ByteStreams touch unsafe pointers, and both compile
// with strict memory safety so every unsafe operation is marked and visible.
/// The pipeline is cut into targets for the compiler to check the walls,
/// not to stop the optimiser at them: release builds let it inline and
/// specialise across the targets (hot loops call into ChurnIO's parsers and
/// formatters), as it did when they were one module.
let crossModule: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
  name: "ChurnKit",
  products: [
    .library(
      name: "ChurnKit",
      targets: ["ChurnIO", "ChurnData", "ChurnModels", "ChurnDecisions", "ChurnArtifacts", "ChurnSimulation"]),
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
    .systemLibrary(
      name: "CSQLite",
      path: "Sources/CSQLite",
      providers: [.apt(["libsqlite3-dev"])]
    ),
    .systemLibrary(
      name: "CLibPQ",
      path: "Sources/CLibPQ",
      providers: [.apt(["libpq-dev"])]
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
      dependencies: ["CZlib", "CSQLite", "CLibPQ", "CGlibcExtras"],
      swiftSettings: [.strictMemorySafety()]
    ),

    // MARK: - The pipeline, one target per stage
    /// Bytes to values and back: CSV reading and writing, numbers, dates,
    /// row issues; no knowledge of churn.
    .target(name: "ChurnIO", dependencies: ["ByteStreams"], swiftSettings: crossModule),
    /// Event logs, customers tables, validation, point-in-time features and labels.
    .target(name: "ChurnData", dependencies: ["ChurnIO", "ByteStreams", "LinearAlgebra"], swiftSettings: crossModule),
    /// The logistic churn model, evaluation, the stage chain, survival curves.
    .target(name: "ChurnModels", dependencies: ["ChurnData", "ChurnIO", "LinearAlgebra"], swiftSettings: crossModule),
    /// Next best action: uplift learners, customer value, assignment.
    .target(
      name: "ChurnDecisions", dependencies: ["ChurnModels", "ChurnData", "ChurnIO", "LinearAlgebra"],
      swiftSettings: crossModule),
    /// What is saved and shown: the model file and its trainers, scoring,
    /// SQL/PMML export, the journey page, action plans.
    .target(
      name: "ChurnArtifacts",
      dependencies: ["ChurnDecisions", "ChurnModels", "ChurnData", "ChurnIO", "ByteStreams", "LinearAlgebra"],
      swiftSettings: crossModule),
    /// The synthetic lifecycle generator and its oracles (beside the
    /// pipeline: used by the CLI's `generate` and by tests only).
    .target(
      name: "ChurnSimulation",
      dependencies: ["ChurnArtifacts", "ChurnDecisions", "ChurnModels", "ChurnData", "ChurnIO", "LinearAlgebra"],
      swiftSettings: crossModule),
    .target(
      name: "ChurnCLI",
      dependencies: [
        "ChurnSimulation", "ChurnArtifacts", "ChurnDecisions", "ChurnModels", "ChurnData", "ChurnIO", "ByteStreams",
      ],
      swiftSettings: crossModule),
    .executableTarget(name: "churnkit", dependencies: ["ChurnCLI", "ByteStreams"]),

    // MARK: - Benchmarks (run by bench/*.sh, always in release)
    .executableTarget(
      name: "churnkit-bench",
      dependencies: [
        "ChurnIO", "ChurnData", "ChurnModels", "ChurnDecisions", "ChurnArtifacts", "ChurnSimulation", "ByteStreams",
        "LinearAlgebra",
      ], path: "bench/swift"),

    // MARK: - Tests
    .target(
      name: "ChurnTestSupport",
      dependencies: [
        "ChurnIO", "ChurnData", "ChurnModels", "ChurnDecisions", "ChurnArtifacts", "ChurnSimulation", "LinearAlgebra",
      ]),
    .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra", "ChurnTestSupport"]),
    .testTarget(name: "ByteStreamsTests", dependencies: ["ByteStreams", "ChurnIO", "ChurnTestSupport"]),
    .testTarget(name: "ChurnIOTests", dependencies: ["ByteStreams", "ChurnIO", "ChurnTestSupport"]),
    .testTarget(
      name: "ChurnDataTests",
      dependencies: ["ChurnData", "ChurnIO", "ChurnModels", "ChurnSimulation", "ChurnTestSupport"]),
    .testTarget(
      name: "ChurnModelsTests",
      dependencies: ["ChurnData", "ChurnIO", "ChurnModels", "ChurnSimulation", "ChurnTestSupport", "LinearAlgebra"]),
    .testTarget(
      name: "ChurnDecisionsTests",
      dependencies: [
        "ChurnData", "ChurnDecisions", "ChurnIO", "ChurnModels", "ChurnSimulation", "ChurnTestSupport", "LinearAlgebra",
      ]),
    .testTarget(
      name: "ChurnArtifactsTests",
      dependencies: [
        "ByteStreams", "ChurnArtifacts", "ChurnData", "ChurnDecisions", "ChurnIO", "ChurnModels", "ChurnSimulation",
        "ChurnTestSupport", "LinearAlgebra",
      ],
      exclude: ["Fixtures"]),
    .testTarget(name: "ChurnSimulationTests", dependencies: ["ChurnData", "ChurnSimulation", "ChurnTestSupport"]),
    .testTarget(
      name: "ChurnCLITests",
      dependencies: [
        "ChurnCLI", "ChurnIO", "ChurnData", "ChurnModels", "ChurnDecisions", "ChurnArtifacts", "ChurnSimulation",
        "ChurnTestSupport",
      ]),
  ]
)

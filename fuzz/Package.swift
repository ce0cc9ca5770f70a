// swift-tools-version: 6.2
import PackageDescription

// libFuzzer targets over ChurnKit's parsers (scripts/fuzz builds and runs
// them). A package of its own, so that the main package never builds them:
// they need `--sanitize=fuzzer --sanitize=address`, and libFuzzer supplies
// their `main`.
let fuzzTarget: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
  name: "ChurnKitFuzz",
  dependencies: [.package(name: "ChurnKit", path: "..")],
  targets: [
    .executableTarget(
      name: "fuzz-csv", dependencies: [.product(name: "ChurnKit", package: "ChurnKit")], swiftSettings: fuzzTarget),
    .executableTarget(
      name: "fuzz-events", dependencies: [.product(name: "ChurnKit", package: "ChurnKit")], swiftSettings: fuzzTarget),
    .executableTarget(
      name: "fuzz-json", dependencies: [.product(name: "ChurnKit", package: "ChurnKit")], swiftSettings: fuzzTarget),
    .executableTarget(
      name: "fuzz-model", dependencies: [.product(name: "ChurnKit", package: "ChurnKit")], swiftSettings: fuzzTarget),
  ]
)

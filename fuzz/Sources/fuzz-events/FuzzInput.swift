import Foundation

/// Where each input is written for the loaders, which read files.
enum FuzzInput {
  static let path = NSTemporaryDirectory() + "churnkit-fuzz-\(getpid())"

  static func write(_ data: UnsafePointer<UInt8>, _ size: Int) -> String {
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    return path
  }
}

import ByteStreams
import Foundation

/// A whole small file (a JSON setting, a model), read through ByteStreams
/// (gzip undone, `-` for standard input), or nil when it cannot be read.
/// Not Foundation's `FileManager.contents(atPath:)`: under the JSON fuzzer
/// its buffers were reported leaked, about 1.5 KB per refused input.
public func contentsOfFile(_ path: String) -> Data? {
  guard let bytes = try? ByteReader.contents(of: path) else { return nil }
  return Data(bytes)
}

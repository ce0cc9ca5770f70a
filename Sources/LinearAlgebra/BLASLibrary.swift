#if canImport(Glibc)
  import Glibc
#endif
import Foundation

/// Which BLAS and LAPACK implementation this process actually loaded.
///
/// Debian's alternatives decide at run time whether `libblas.so.3` is the
/// reference (netlib) library or OpenBLAS; the speed of every model fit
/// depends on it, so `churnkit --version` reports it.
public struct BLASLibrary: Sendable, Equatable {
  /// "OpenBLAS" or "reference BLAS" (or the file name when unrecognised).
  public let name: String
  /// OpenBLAS's own configuration string (version, kernel, threads), if any.
  public let configuration: String?
  /// The resolved paths of the BLAS and LAPACK shared objects mapped into the
  /// process, from `/proc/self/maps`.
  public let blasPath: String?
  public let lapackPath: String?

  /// Inspects the running process.
  public static func loaded() -> BLASLibrary {
    // Make sure the libraries are mapped before reading the maps.
    _ = dot([1], [1])
    let mapped = mappedLibraries()
    let blas = mapped.first { $0.hasSuffix("/libblas.so.3") || $0.contains("libopenblas") }
    // OpenBLAS's liblapack.so.3 resolves to the same shared object as its BLAS.
    let lapack = mapped.first { $0.contains("liblapack") } ?? (blas?.contains("openblas") == true ? blas : nil)
    let config = openBLASConfiguration()
    let name: String
    if config != nil || (blas?.contains("openblas") ?? false) {
      name = "OpenBLAS"
    } else if blas?.contains("/blas/") ?? false {
      name = "reference BLAS"
    } else {
      name = blas.map { ($0 as NSString).lastPathComponent } ?? "unknown"
    }
    return BLASLibrary(name: name, configuration: config, blasPath: blas, lapackPath: lapack)
  }

  /// The shared objects mapped into this process, in load order.
  static func mappedLibraries() -> [String] {
    guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return [] }
    var seen: [String] = []
    for line in maps.split(separator: "\n") {
      guard let slash = line.firstIndex(of: "/") else { continue }
      let path = String(line[slash...])
      if path.contains(".so") && !seen.contains(path) { seen.append(path) }
    }
    return seen
  }

  /// `openblas_get_config()` looked up with `dlsym`, since the symbol exists
  /// only when OpenBLAS is the library loaded.
  static func openBLASConfiguration() -> String? {
    typealias GetConfig = @convention(c) () -> UnsafePointer<CChar>?
    guard let handle = unsafe dlopen(nil, RTLD_NOW) else { return nil }
    defer { unsafe _ = dlclose(handle) }
    guard let symbol = unsafe dlsym(handle, "openblas_get_config") else { return nil }
    let function = unsafe unsafeBitCast(symbol, to: GetConfig.self)
    guard let cString = unsafe function() else { return nil }
    return unsafe String(cString: cString).trimmingCharacters(in: .whitespaces)
  }
}

import CBLASLAPACK
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

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
  /// The resolved paths of the shared objects that provide BLAS (`cblas_ddot`)
  /// and LAPACK (`dgesv_`) to this process.
  public let blasPath: String?
  public let lapackPath: String?

  /// Inspects the running process.
  public static func loaded() -> BLASLibrary {
    let blas = sharedObject(defining: "cblas_ddot")
    let lapack = sharedObject(defining: "dgesv_")
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

  /// The resolved path of the shared object that provides `symbol` to this
  /// process (`dlsym` then `dladdr`, then symbolic links resolved).
  static func sharedObject(defining symbol: String) -> String? {
    guard let name = unsafe churnkit_shared_object_defining(symbol) else { return nil }
    let path = unsafe String(cString: name)
    guard let resolved = unsafe realpath(path, nil) else { return path }
    defer { unsafe free(resolved) }
    return unsafe String(cString: resolved)
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

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

/// Serialises `BLASLibrary.withThreadCount`: the one piece of process-wide
/// state here, because the BLAS thread count itself is process-wide.
private let threadCountLock = NSRecursiveLock()

extension BLASLibrary {
  /// Runs `body` with the BLAS library limited to `threads` threads (when
  /// the loaded library is OpenBLAS; the reference BLAS has one anyway),
  /// then restores the previous count. Use it around code that already
  /// runs BLAS calls on several threads of its own, so the two kinds of
  /// parallelism do not fight over the cores.
  ///
  /// The BLAS thread count is a property of the process (and results can
  /// differ in the last bits between thread counts), so callers are
  /// serialised: a second caller waits until the first one's body is done.
  public static func withThreadCount<T>(_ threads: Int32, _ body: () throws -> T) rethrows -> T {
    threadCountLock.lock()
    defer { threadCountLock.unlock() }
    typealias Get = @convention(c) () -> Int32
    typealias Set = @convention(c) (Int32) -> Void
    guard let handle = unsafe dlopen(nil, RTLD_NOW) else { return try body() }
    defer { unsafe _ = dlclose(handle) }
    guard let getSymbol = unsafe dlsym(handle, "openblas_get_num_threads"),
      let setSymbol = unsafe dlsym(handle, "openblas_set_num_threads")
    else { return try body() }
    let get = unsafe unsafeBitCast(getSymbol, to: Get.self)
    let set = unsafe unsafeBitCast(setSymbol, to: Set.self)
    let previous = get()
    set(threads)
    defer { set(previous) }
    return try body()
  }
}

extension Matrix {
  /// `y ← alpha · A[rows, :] x + beta · y` for a range of rows (BLAS `dgemv`
  /// on the sub-matrix, in place), so threads can split one product.
  public func multiply(
    rows range: Range<Int>, _ x: [Double], into y: inout [Double], alpha: Double = 1, beta: Double = 0
  ) {
    precondition(range.lowerBound >= 0 && range.upperBound <= rows, "gemv: rows outside the matrix")
    precondition(x.count == columns && y.count == range.count, "gemv: vector lengths")
    if range.isEmpty { return }
    if columns == 0 {
      for k in y.indices { y[k] *= beta }
      return
    }
    unsafe storage.withUnsafeBufferPointer { a in
      unsafe cblas_dgemv(
        CblasColMajor, CblasNoTrans, blasInt(range.count), blasInt(columns), alpha,
        a.baseAddress! + range.lowerBound, blasInt(rows), x, 1, beta, &y, 1)
    }
  }

  /// `A[rows, :]ᵀ v` for a range of rows (BLAS `dgemv` on the sub-matrix).
  public func transposedProduct(rows range: Range<Int>, _ v: ArraySlice<Double>) -> [Double] {
    precondition(range.lowerBound >= 0 && range.upperBound <= rows, "gemv: rows outside the matrix")
    precondition(v.count == range.count, "gemv: vector length")
    var out = [Double](repeating: 0, count: columns)
    if range.isEmpty || columns == 0 { return out }
    let vector = Array(v)
    unsafe storage.withUnsafeBufferPointer { a in
      unsafe cblas_dgemv(
        CblasColMajor, CblasTrans, blasInt(range.count), blasInt(columns), 1,
        a.baseAddress! + range.lowerBound, blasInt(rows), vector, 1, 0, &out, 1)
    }
    return out
  }
}

import CGlibcExtras

/// Process-wide allocator settings for the command-line programs.
public enum ProcessMemory {
  /// Keeps memory the program frees for its next allocations instead of
  /// handing it back to the system: glibc otherwise maps every large
  /// buffer afresh (and trims freed memory), so streaming a file chunk by
  /// chunk pays a page fault for each new 4 KiB page of each chunk's
  /// buffers — about 15% of the CPU time of reading a 10M-row log. Peak
  /// memory is unchanged; memory freed is simply not returned until exit.
  /// Call once, at the start of an executable (never from library code).
  public static func keepFreedMemory() {
    _ = mallopt(M_MMAP_THRESHOLD, 1 << 30)
    _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
  }
}

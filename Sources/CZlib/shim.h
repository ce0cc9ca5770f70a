#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
/* Header-only bridge to Debian's zlib (zlib1g-dev). No stable Swift API:
   use the ByteStreams module instead. */
#include <zlib.h>

/* inflateInit2 is a macro in zlib.h; expose it as a function Swift can call. */
static inline int churnkit_inflateInit2(z_streamp strm, int windowBits) {
  return inflateInit2(strm, windowBits);
}
#endif

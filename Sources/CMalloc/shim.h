#ifndef CMALLOC_SHIM_H
#define CMALLOC_SHIM_H
/* glibc's allocator settings (mallopt), which the Glibc module leaves out.
   Use ByteStreams.ProcessMemory instead. */
#include <malloc.h>
#endif

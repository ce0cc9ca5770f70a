#ifndef CGLIBCEXTRAS_SHIM_H
#define CGLIBCEXTRAS_SHIM_H
/* glibc functions the Swift Glibc module leaves out. Use them through
   ByteStreams (ProcessMemory, AtomicFileWriter), not directly. */

/* The allocator's settings (mallopt). */
#include <malloc.h>

/* Starting writeback of a file range early (Linux; declared by <fcntl.h>
   only under _GNU_SOURCE, which the Glibc module is built without). */
#include <sys/types.h>
int sync_file_range(int fd, off_t offset, off_t nbytes, unsigned int flags);
#define CGLIBCEXTRAS_SYNC_FILE_RANGE_WRITE 2u

#endif

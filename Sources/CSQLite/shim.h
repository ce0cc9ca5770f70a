#ifndef CSQLITE_SHIM_H
#define CSQLITE_SHIM_H
/* Header-only bridge to Debian's SQLite (libsqlite3-dev). No stable Swift
   API: use the ByteStreams module's SQLiteDatabase instead. */
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a cast macro Swift cannot import: a function gives it. */
static inline sqlite3_destructor_type churnkit_sqlite_transient(void) { return SQLITE_TRANSIENT; }
#endif

#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H
/* Header-only bridge to Debian's libpq (libpq-dev), PostgreSQL's client
   library. No stable Swift API: use the ByteStreams module's
   PostgresConnection instead. */
#include <postgresql/libpq-fe.h>
#endif

/* dumpwalk: offline analysis of Windows crash dumps.  Umbrella header. */
#ifndef DUMPWALK_H
#define DUMPWALK_H

#define DW_VERSION_STRING "0.1.0"

#include "status.h"
#include "dump.h"
#include "system.h"
#include "threads.h"
#include "modules.h"
#include "memory.h"
#include "handles.h"
#include "symbols.h"
#include "stack.h"
#include "report.h"
#include "batch.h"
#include "callbacks.h"

#endif

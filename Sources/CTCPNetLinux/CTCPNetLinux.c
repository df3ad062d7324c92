// Headers only (include/CTCPNetLinux.h); SwiftPM wants one source file in a C target.
#include "CTCPNetLinux.h"

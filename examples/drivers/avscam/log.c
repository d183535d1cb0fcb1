/* AvsCamLog: printf-style lines into ksimd's log (KsimLog, the DbgPrint of ksim). */
#include <stdarg.h>
#include <stdio.h>

#include "avscam.h"

VOID AvsCamLog(PKSPIN Pin, ULONG Level, const char* Format, ...) {
    char Line[256];
    va_list Arguments;
    va_start(Arguments, Format);
    (void)vsnprintf(Line, sizeof(Line), Format, Arguments);
    va_end(Arguments);
    KsimLog(Pin, Level, Line);
}

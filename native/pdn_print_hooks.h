/* Force-included into darknet's C sources: declarations of the print hooks the build's
 * -Dprintf=pdn_printf (etc.) definitions route to. Defined in pdn_guard.c. */
#include <stdio.h>
int pdn_printf(const char *fmt, ...);
int pdn_fprintf(FILE *stream, const char *fmt, ...);
void pdn_perror(const char *s);

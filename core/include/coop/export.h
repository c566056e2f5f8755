/* Marks the symbols the shared library exports; everything else is hidden. */
#ifndef COOP_EXPORT_H
#define COOP_EXPORT_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define COOP_API __attribute__((visibility("default")))
#else
#define COOP_API
#endif

#ifdef __cplusplus
}
#endif

#endif

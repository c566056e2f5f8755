/* Internal interfaces of the scenario parser: tokens of one line, times, and the error sink. */
#ifndef COOP_SIM_SCN_H
#define COOP_SIM_SCN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coop/scenario.h"

#define SCN_MAX_TOKENS 256

enum scn_tok_kind {
    SCN_WORD,   /* a bare word: anything up to blank, '"' or '#' */
    SCN_STRING, /* "..." with escapes, decoded into bytes */
    SCN_HEX,    /* x"68 65" decoded into bytes */
    SCN_KEYSTR  /* key="value": key in `key`, the decoded value in `text` */
};

/* One token.  `text` holds len bytes plus a NUL (strings may hold NULs too). */
struct scn_tok {
    enum scn_tok_kind kind;
    unsigned col; /* 1-based */
    char *text;
    size_t len;
    char *key; /* SCN_KEYSTR only */
};

/* The tokens of one line; owned by the struct until scn_toks_fini. */
struct scn_toks {
    struct scn_tok t[SCN_MAX_TOKENS];
    int n;
};

/*
 * Where errors go.  The first error wins: later ones are ignored, so a
 * message always names the first problem in the file.
 */
struct scn_err {
    const char *path;
    char *buf;
    size_t len;
    bool set;
};

void scn_error(struct scn_err *e, unsigned line, unsigned col, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Splits one line (without its newline) into tokens; comments are dropped.  0, or -1 with an error. */
int scn_lex_line(const char *s, size_t len, unsigned lineno, struct scn_toks *toks, struct scn_err *err);
void scn_toks_fini(struct scn_toks *toks);

/* "1.5s", "250ms", "10us", "7ns", "2m", "1h": 0 and *ns, or -1 (syntax or overflow). */
int scn_parse_duration(const char *s, uint64_t *ns);
/* A decimal or 0x integer, optionally negative when allow_neg; 0 or -1. */
int scn_parse_int(const char *s, bool allow_neg, int64_t *out);

#endif

/* The scenario lexer: one line into words, strings and hex strings, plus durations and integers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/text.h"
#include "scenario/scn.h"

void scn_error(struct scn_err *e, unsigned line, unsigned col, const char *hint, const char *fmt, ...)
{
    if (e->set || !e->buf || !e->len)
        return;
    e->set = true;
    int n = snprintf(e->buf, e->len, "%s:%u:%u: error: ", e->path, line, col);
    size_t used = n > 0 ? (size_t)n : 0;
    if (used < e->len) {
        va_list ap;
        va_start(ap, fmt);
        n = vsnprintf(e->buf + used, e->len - used, fmt, ap);
        va_end(ap);
        used += n > 0 ? (size_t)n : 0;
    }
    if (hint && used < e->len)
        snprintf(e->buf + used, e->len - used, "\n  hint: %s", hint);
}

void scn_toks_fini(struct scn_toks *toks)
{
    for (int i = 0; i < toks->n; i++) {
        free(toks->t[i].text);
        free(toks->t[i].key);
    }
    toks->n = 0;
}

/*
 * Decodes the string that starts at s[*pos] (on its opening quote) into
 * a fresh buffer.  hex: pairs of hex digits, blanks between pairs allowed.
 */
static int lex_string(const char *s, size_t len, size_t *pos, bool hex, unsigned lineno, struct scn_tok *tok,
                      struct scn_err *err)
{
    size_t start = *pos;
    size_t i = start + 1;
    /* The decoded form is never longer than the source. */
    char *out = malloc(len - start + 1);
    if (!out) {
        scn_error(err, lineno, (unsigned)start + 1, NULL, "out of memory");
        return -1;
    }
    size_t n = 0;
    for (;;) {
        if (i >= len) {
            scn_error(err, lineno, (unsigned)start + 1, "close it with '\"' on the same line",
                      "unterminated string");
            goto fail;
        }
        char c = s[i];
        if (c == '"') {
            i++;
            break;
        }
        if (hex) {
            if (c == ' ' || c == '\t') {
                i++;
                continue;
            }
            int hi = text_hexval(c), lo = i + 1 < len ? text_hexval(s[i + 1]) : -1;
            if (hi < 0 || lo < 0) {
                scn_error(err, lineno, (unsigned)(hi < 0 ? i : i + 1) + 1,
                          "x\"...\" holds pairs of hex digits, e.g. x\"0d 0a\"", "bad hex digit");
                goto fail;
            }
            out[n++] = (char)(hi << 4 | lo);
            i += 2;
            continue;
        }
        if ((unsigned char)c < 0x20 && c != '\t') {
            scn_error(err, lineno, (unsigned)i + 1, "write control bytes as escapes such as \\x01",
                      "control character in a string");
            goto fail;
        }
        if ((unsigned char)c >= 0x80) {
            /* Raw bytes must be UTF-8, or the trace that quotes the line would not be; \xHH writes any byte. */
            size_t k = utf8_seq_len((const unsigned char *)s + i, len - i);
            if (!k) {
                scn_error(err, lineno, (unsigned)i + 1,
                          "write bytes that are not UTF-8 as escapes such as \\xff",
                          "invalid UTF-8 in a string");
                goto fail;
            }
            memcpy(out + n, s + i, k);
            n += k;
            i += k;
            continue;
        }
        if (c != '\\') {
            out[n++] = c;
            i++;
            continue;
        }
        if (i + 1 >= len) {
            scn_error(err, lineno, (unsigned)i + 1, NULL, "unterminated string");
            goto fail;
        }
        char e = s[i + 1];
        i += 2;
        switch (e) {
        case 'n':
            out[n++] = '\n';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case '0':
            out[n++] = '\0';
            break;
        case '\\':
        case '"':
            out[n++] = e;
            break;
        case 'x': {
            int hi = i < len ? text_hexval(s[i]) : -1, lo = i + 1 < len ? text_hexval(s[i + 1]) : -1;
            if (hi < 0 || lo < 0) {
                scn_error(err, lineno, (unsigned)i - 1, "\\x takes exactly two hex digits, e.g. \\x0a",
                          "bad \\x escape");
                goto fail;
            }
            out[n++] = (char)(hi << 4 | lo);
            i += 2;
            break;
        }
        default:
            scn_error(err, lineno, (unsigned)i - 1, "the escapes are \\n \\r \\t \\0 \\\\ \\\" and \\xHH",
                      "unknown escape '\\%c'", (e >= 0x20 && e < 0x7f) ? e : '?');
            goto fail;
        }
    }
    out[n] = '\0';
    tok->text = out;
    tok->len = n;
    *pos = i;
    return 0;
fail:
    free(out);
    return -1;
}

static bool word_char(char c) { return c != ' ' && c != '\t' && c != '"' && c != '#' && c != '\r'; }

int scn_lex_line(const char *s, size_t len, unsigned lineno, struct scn_toks *toks, struct scn_err *err)
{
    toks->n = 0;
    size_t i = 0;
    while (i < len) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            i++;
            continue;
        }
        if (c == '#')
            break;
        if (toks->n == SCN_MAX_TOKENS) {
            scn_error(err, lineno, (unsigned)i + 1, NULL, "more than %d tokens on one line", SCN_MAX_TOKENS);
            goto fail;
        }
        struct scn_tok *tok = &toks->t[toks->n];
        *tok = (struct scn_tok){ .col = (unsigned)i + 1 };
        if (c == '"') {
            tok->kind = SCN_STRING;
            if (lex_string(s, len, &i, false, lineno, tok, err))
                goto fail;
            toks->n++;
            continue;
        }
        size_t start = i;
        while (i < len && word_char(s[i])) {
            size_t k = (unsigned char)s[i] < 0x80 ? 1 : utf8_seq_len((const unsigned char *)s + i, len - i);
            if (!k) {
                scn_error(err, lineno, (unsigned)i + 1, "a scenario file is UTF-8 text", "invalid UTF-8");
                goto fail;
            }
            i += k;
        }
        size_t wlen = i - start;
        if (i < len && s[i] == '"' && wlen == 1 && s[start] == 'x') {
            tok->kind = SCN_HEX;
            if (lex_string(s, len, &i, true, lineno, tok, err))
                goto fail;
            toks->n++;
            continue;
        }
        if (i < len && s[i] == '"' && wlen > 1 && s[i - 1] == '=') {
            tok->kind = SCN_KEYSTR;
            tok->key = malloc(wlen);
            if (!tok->key || lex_string(s, len, &i, false, lineno, tok, err)) {
                free(tok->key);
                tok->key = NULL;
                scn_error(err, lineno, (unsigned)start + 1, NULL, "out of memory");
                goto fail;
            }
            memcpy(tok->key, s + start, wlen - 1);
            tok->key[wlen - 1] = '\0';
            toks->n++;
            continue;
        }
        if (i < len && s[i] == '"') {
            scn_error(err, lineno, (unsigned)i + 1, "separate a string from the word before it with a blank",
                      "unexpected '\"'");
            goto fail;
        }
        tok->kind = SCN_WORD;
        tok->text = malloc(wlen + 1);
        if (!tok->text) {
            scn_error(err, lineno, (unsigned)start + 1, NULL, "out of memory");
            goto fail;
        }
        memcpy(tok->text, s + start, wlen);
        tok->text[wlen] = '\0';
        tok->len = wlen;
        toks->n++;
    }
    return 0;
fail:
    scn_toks_fini(toks);
    return -1;
}

int scn_parse_int(const char *s, bool allow_neg, int64_t *out)
{
    bool neg = false;
    if (*s == '-' && allow_neg) {
        neg = true;
        s++;
    }
    uint64_t v = 0;
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return -1;
    for (; *s; s++) {
        int d = text_hexval(*s);
        if (d < 0 || d >= base)
            return -1;
        if (v > (UINT64_C(1) << 62) / (uint64_t)base)
            return -1;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    if (v > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

int scn_parse_duration(const char *s, uint64_t *ns)
{
    uint64_t whole = 0, frac = 0, frac_scale = 1;
    const char *p = s;
    if (!strcmp(s, "0")) {
        *ns = 0; /* zero needs no unit */
        return 0;
    }
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (whole > UINT64_MAX / 10 - 10)
            return -1;
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (frac_scale >= UINT64_C(1000000000))
                return -1; /* more than nine decimals */
            frac = frac * 10 + (uint64_t)(*p - '0');
            frac_scale *= 10;
        }
    }
    uint64_t unit;
    if (!strcmp(p, "ns"))
        unit = 1;
    else if (!strcmp(p, "us"))
        unit = 1000;
    else if (!strcmp(p, "ms"))
        unit = 1000000;
    else if (!strcmp(p, "s"))
        unit = 1000000000;
    else if (!strcmp(p, "m"))
        unit = UINT64_C(60000000000);
    else if (!strcmp(p, "h"))
        unit = UINT64_C(3600000000000);
    else
        return -1;
    if (whole > (UINT64_MAX / 4) / unit)
        return -1;
    uint64_t f;
    if (unit >= frac_scale) {
        f = frac * (unit / frac_scale); /* every unit is a multiple of any smaller power of ten */
    } else {
        if (frac * unit % frac_scale)
            return -1; /* finer than a nanosecond */
        f = frac * unit / frac_scale;
    }
    *ns = whole * unit + f;
    return 0;
}

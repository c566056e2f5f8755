/* JSON string escaping with UTF-8 validation, shared by the trace, reports and exports. */
#include "base/json.h"

#include <stdint.h>
#include <string.h>

size_t utf8_seq_len(const unsigned char *s, size_t len)
{
    if (!len)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint32_t min, cp;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        min = 0x80;
        cp = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        min = 0x800;
        cp = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        min = 0x10000;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    /* Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8. */
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return n;
}

/* The bytes that stand for themselves inside a JSON string: printable ASCII but the quote and the backslash. */
#define R8(x) x, x, x, x, x, x, x, x
#define R32(x) R8(x), R8(x), R8(x), R8(x)
static const unsigned char plain_byte[256] = {
    R32(0),                                                                  /* control bytes */
    1,      1,      0,      1,      1,      1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* the quote at 0x22 */
    R8(1),  R8(1),  R8(1),  R8(1),  R8(1),  1, 1, 1, 1, 0, 1, 1, 1,          /* the backslash at 0x5c */
    R32(1), R32(0), R32(0), R32(0), R32(0),
};
static int plain(unsigned char c) { return plain_byte[c]; }

size_t json_escape(char *out, size_t cap, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        /* Runs of plain bytes, the common case, are copied whole. */
        size_t run = i;
        while (run < len && plain(p[run]))
            run++;
        if (run > i) {
            if (n + (run - i) >= cap)
                return SIZE_MAX;
            memcpy(out + n, p + i, run - i);
            n += run - i;
            i = run;
            continue;
        }
        char esc[8];
        const char *piece = esc;
        size_t k;
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            k = 2;
            i++;
        } else if (c < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            k = 6;
            i++;
        } else if ((k = utf8_seq_len(p + i, len - i)) != 0) {
            piece = (const char *)p + i;
            i += k;
        } else {
            piece = "\\ufffd";
            k = 6;
            i++;
        }
        if (n + k >= cap)
            return SIZE_MAX;
        memcpy(out + n, piece, k);
        n += k;
    }
    if (n >= cap)
        return SIZE_MAX;
    out[n] = '\0';
    return n;
}

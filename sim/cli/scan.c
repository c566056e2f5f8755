/* The scenario files a run names: files as given, and directories searched recursively in a fixed order. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* Directories nested deeper than this are not searched: a bound instead of a stack that could grow. */
#define SCAN_DEPTH 32

static int push(struct cli_paths *ps, char *path)
{
    if (!path)
        return -1;
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 64;
        char **v = realloc(ps->v, cap * sizeof(*v));
        if (!v) {
            free(path);
            return -1;
        }
        ps->v = v;
        ps->cap = cap;
    }
    ps->v[ps->n++] = path;
    return 0;
}

static char *join(const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    char *p = malloc(dl + nl + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, dl);
    size_t at = dl;
    if (!dl || dir[dl - 1] != '/')
        p[at++] = '/';
    memcpy(p + at, name, nl + 1);
    return p;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool is_scn(const char *name)
{
    size_t l = strlen(name);
    return l > 4 && !strcmp(name + l - 4, ".scn");
}

/* Adds the *.scn files under dir: entries in byte order of their names, a subdirectory where its name falls. */
static int scan_dir(struct cli_paths *ps, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "coop run: error: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    errno = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **v = realloc(names, cap * sizeof(*v));
            if (!v) {
                rc = -1;
                break;
            }
            names = v;
        }
        if (!(names[n] = strdup(e->d_name))) {
            rc = -1;
            break;
        }
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n && !rc; i++) {
        char *path = join(dir, names[i]);
        struct stat st, lst;
        if (!path || lstat(path, &lst)) {
            free(path);
            continue;
        }
        /* A linked directory is not entered: links could make the search endless. */
        if (S_ISDIR(lst.st_mode) && depth < SCAN_DEPTH) {
            rc = scan_dir(ps, path, depth + 1);
            free(path);
        } else if (is_scn(names[i]) && !stat(path, &st) && S_ISREG(st.st_mode)) {
            rc = push(ps, path);
        } else {
            free(path);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int cli_scan(struct cli_paths *ps, const char *path)
{
    struct stat st;
    if (stat(path, &st)) {
        fprintf(stderr, "coop run: error: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return push(ps, strdup(path));
    size_t before = ps->n;
    if (scan_dir(ps, path, 0))
        return -1;
    if (ps->n == before) {
        fprintf(stderr, "coop run: error: %s: no .scn file in it or below it\n", path);
        return -1;
    }
    return 0;
}

void cli_paths_fini(struct cli_paths *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        free(ps->v[i]);
    free(ps->v);
    *ps = (struct cli_paths){ 0 };
}

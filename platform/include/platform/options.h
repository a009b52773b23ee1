/* Run-time options: `key=value` pairs from the multiboot2 command line.
 *
 * Every option is declared once with OPTION_* next to the code that uses
 * it, with its type, bounds and a one-line description; the parser refuses
 * an unknown key, a malformed or out-of-range value, a repeated key and a
 * word without '=', each with a line naming the word and what was wrong.
 * The VMM does not start with a refused option line. */
#ifndef VENEER_PLATFORM_OPTIONS_H
#define VENEER_PLATFORM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum option_type {
    OPT_BOOL,   /* 0/1, yes/no, on/off, true/false */
    OPT_UINT,   /* decimal or 0x-hex, within [min, max] */
    OPT_SIZE,   /* bytes with optional K/M/G suffix (binary), within [min, max] */
    OPT_CHOICE, /* one of a NULL-terminated list; stored as its index */
    OPT_STRING, /* up to max bytes, copied into a char array */
};

struct option_def {
    const char *key;
    enum option_type type;
    void *dst;         /* bool*, uint64_t*, int* (choice), char[] (string) */
    uint64_t min, max; /* uint/size bounds; string: buffer size */
    const char *const *choices;
    const char *help;
    bool *seen;        /* optional: set when the option was given */
};

#define OPTION_SECTION __attribute__((used, section(".options"), aligned(8)))

#define OPTION_BOOL(key_, var_, help_)                                    \
    static const struct option_def option_##var_ OPTION_SECTION = {       \
        .key = key_, .type = OPT_BOOL, .dst = &(var_), .help = help_ }
#define OPTION_UINT(key_, var_, min_, max_, help_)                        \
    static const struct option_def option_##var_ OPTION_SECTION = {       \
        .key = key_, .type = OPT_UINT, .dst = &(var_), .min = (min_),     \
        .max = (max_), .help = help_ }
#define OPTION_SIZE(key_, var_, min_, max_, help_)                        \
    static const struct option_def option_##var_ OPTION_SECTION = {       \
        .key = key_, .type = OPT_SIZE, .dst = &(var_), .min = (min_),     \
        .max = (max_), .help = help_ }
#define OPTION_CHOICE(key_, var_, choices_, help_)                        \
    static const struct option_def option_##var_ OPTION_SECTION = {       \
        .key = key_, .type = OPT_CHOICE, .dst = &(var_),                  \
        .choices = (choices_), .help = help_ }
#define OPTION_STRING(key_, var_, help_)                                  \
    static const struct option_def option_##var_ OPTION_SECTION = {       \
        .key = key_, .type = OPT_STRING, .dst = (var_),                   \
        .max = sizeof(var_), .help = help_ }

/* Called once per refused word with a complete human-readable message. */
typedef void (*option_error_fn)(void *ctx, const char *msg);

/* Parses `line` against `defs[0..n)`; returns the number of refused
 * words (0 = all accepted). Values are stored as they are accepted. A
 * leading word that is the image path (starts with '/' and has no '=')
 * is skipped: GRUB may pass it. */
int options_parse(const char *line, const struct option_def *defs, size_t n,
                  option_error_fn err, void *ctx);

/* `line` with the value of every key that names a password replaced by
 * "(hidden)", into out[0..size) (cut to fit): what may be logged. */
void options_redact(const char *line, char *out, size_t size);

/* Parses one value for one definition into *dst (for tests and reuse);
 * on failure writes the reason into why[0..why_size) and returns < 0. */
int option_parse_value(const struct option_def *d, const char *val,
                       size_t len, char *why, size_t why_size);

#endif

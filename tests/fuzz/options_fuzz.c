/* libFuzzer target for the option-line parser (platform/options.c): the
 * command line GRUB passes is the first thing Veneer parses, from a file
 * an attacker with the boot disk can write. The input is the line (made
 * NUL-terminated); every option type is defined, with limits, so each
 * value parser runs. Each refusal message is read to its end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <platform/options.h>

static uint64_t size_v, uint_v;
static bool bool_v, seen;
static int choice_v;
static char str_v[16];
static const char *const choices[] = { "error", "warn", "info", "debug", NULL };

static const struct option_def defs[] = {
    { .key = "vmm.mem", .type = OPT_SIZE, .dst = &size_v, .min = 16u << 20,
      .max = 1ULL << 40, .help = "size", .seen = &seen },
    { .key = "vmm.count", .type = OPT_UINT, .dst = &uint_v, .min = 1,
      .max = 64, .help = "count" },
    { .key = "vmm.flag", .type = OPT_BOOL, .dst = &bool_v, .help = "flag" },
    { .key = "vmm.loglevel", .type = OPT_CHOICE, .dst = &choice_v,
      .choices = choices, .help = "level" },
    { .key = "vmm.name", .type = OPT_STRING, .dst = str_v, .max = sizeof(str_v),
      .help = "name" },
};

static void on_error(void *ctx, const char *msg)
{
    volatile size_t n = strlen(msg);
    (void)ctx;
    (void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);

    if (!line)
        return 0;
    memcpy(line, data, size);
    line[size] = 0;
    options_parse(line, defs, sizeof(defs) / sizeof(defs[0]), on_error, NULL);
    volatile size_t n = strnlen(str_v, sizeof(str_v));
    (void)n;
    if (size && data[0] < 5) { /* one value parser on its own */
        char why[128];
        option_parse_value(&defs[data[0]], line + 1, size - 1, why, sizeof(why));
    }
    free(line);
    return 0;
}

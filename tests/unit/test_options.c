/* The option-line parser: accepted forms, and a clear refusal for each
 * kind of bad input. */
#include "check.h"
#include <platform/options.h>
#include <stdbool.h>
#include <stdint.h>

static uint64_t mem = 32u << 20, count = 4;
static bool flag;
static int level = 2;
static char name[8] = "";
static bool mem_seen;
static const char *const levels[] = { "error", "warn", "info", "debug", NULL };

static const struct option_def defs[] = {
    { .key = "vmm.mem", .type = OPT_SIZE, .dst = &mem, .min = 16u << 20,
      .max = 1ULL << 30, .help = "size", .seen = &mem_seen },
    { .key = "vmm.count", .type = OPT_UINT, .dst = &count, .min = 1, .max = 64,
      .help = "count" },
    { .key = "vmm.flag", .type = OPT_BOOL, .dst = &flag, .help = "flag" },
    { .key = "vmm.loglevel", .type = OPT_CHOICE, .dst = &level,
      .choices = levels, .help = "level" },
    { .key = "vmm.name", .type = OPT_STRING, .dst = name, .max = sizeof(name),
      .help = "name" },
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static char last[512];
static int errors;

static void on_error(void *ctx, const char *msg)
{
    (void)ctx;
    snprintf(last, sizeof(last), "%s", msg);
    errors++;
}

static int parse(const char *line)
{
    last[0] = 0;
    errors = 0;
    return options_parse(line, defs, NDEFS, on_error, NULL);
}

int main(void)
{
    CHECK_EQ(parse(""), 0);
    CHECK_EQ(parse(NULL), 0);
    CHECK_EQ(parse("  \t "), 0);

    CHECK_EQ(parse("vmm.mem=64M vmm.count=0x10 vmm.flag=yes vmm.loglevel=debug vmm.name=abc"), 0);
    CHECK_EQ(mem, 64u << 20);
    CHECK_EQ(count, 16);
    CHECK(flag);
    CHECK_EQ(level, 3);
    CHECK_STR(name, "abc");
    CHECK(mem_seen);

    CHECK_EQ(parse("vmm.mem=1G vmm.flag=off"), 0);
    CHECK_EQ(mem, 1ULL << 30);
    CHECK(!flag);
    CHECK_EQ(parse("vmm.mem=16384k"), 0);
    CHECK_EQ(mem, 16u << 20);
    CHECK_EQ(parse("vmm.mem=33554432"), 0);
    CHECK_EQ(mem, 32u << 20);

    /* The image path GRUB may pass first is skipped, only first. */
    CHECK_EQ(parse("/boot/veneer.elf vmm.count=3"), 0);
    CHECK_EQ(count, 3);
    CHECK_EQ(parse("vmm.count=3 /boot/veneer.elf"), 1);

    /* Each refusal names the word and the reason; the value is untouched. */
    mem = 32u << 20;
    CHECK_EQ(parse("vmm.mem=banana"), 1);
    CHECK(strstr(last, "'vmm.mem=banana'") && strstr(last, "not a number"));
    CHECK_EQ(mem, 32u << 20);
    CHECK_EQ(parse("vmm.mem=8M"), 1);
    CHECK(strstr(last, "out of range (16M to 1G)") != NULL);
    CHECK_EQ(parse("vmm.mem=64Q"), 1);
    CHECK(strstr(last, "not a size") != NULL);
    CHECK_EQ(parse("vmm.mem=99999999999999999999"), 1);
    CHECK(strstr(last, "too large") != NULL);
    CHECK_EQ(parse("vmm.mem=17179869184G"), 1);
    CHECK(strstr(last, "too large") != NULL);
    CHECK_EQ(parse("vmm.count=65"), 1);
    CHECK(strstr(last, "out of range (1 to 64)") != NULL);
    CHECK_EQ(parse("vmm.count=-1"), 1);
    CHECK_EQ(parse("vmm.count=0x"), 1);
    CHECK_EQ(parse("vmm.flag=maybe"), 1);
    CHECK(strstr(last, "not a boolean") != NULL);
    CHECK_EQ(parse("vmm.loglevel=loud"), 1);
    CHECK(strstr(last, "not one of: error warn info debug") != NULL);
    CHECK_EQ(parse("vmm.name=toolongname"), 1);
    CHECK(strstr(last, "at most 7") != NULL);
    CHECK_EQ(parse("vmm.bogus=1"), 1);
    CHECK(strstr(last, "unknown option 'vmm.bogus'") != NULL);
    CHECK_EQ(parse("vmm.flag"), 1);
    CHECK(strstr(last, "not of the form key=value") != NULL);
    CHECK_EQ(parse("vmm.flag="), 1);
    CHECK(strstr(last, "empty value") != NULL);
    CHECK_EQ(parse("vmm.count=2 vmm.count=3"), 1);
    CHECK(strstr(last, "given more than once") != NULL);
    CHECK_EQ(parse("=1"), 1);

    /* Every bad word is reported, not just the first. */
    CHECK_EQ(parse("a b=1 vmm.count=x vmm.count=5"), 3);
    CHECK_EQ(errors, 3);
    CHECK_EQ(count, 5);

    char longword[400];
    memset(longword, 'a', sizeof(longword) - 1);
    longword[sizeof(longword) - 1] = 0;
    longword[5] = '=';
    CHECK_EQ(parse(longword), 1);
    CHECK(strstr(last, "longer than 256") != NULL);
    {
        char shown[64];
        options_redact("/boot/veneer.elf vmm.net=vmm  vmm.shell_password=s3cret x=1",
                       shown, sizeof(shown));
        CHECK_STR(shown, "/boot/veneer.elf vmm.net=vmm  vmm.shell_password=(hidden) x=1");
        options_redact("a=1 vmm.shell_password=abcdefghijklmnopqrstuvwxyz", shown, 20);
        CHECK_STR(shown, "a=1 vmm.shell_passw");
        options_redact(NULL, shown, sizeof(shown));
        CHECK_STR(shown, "");
    }
    return check_done("options");
}

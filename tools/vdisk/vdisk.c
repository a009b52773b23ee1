/* vdisk: offline disk-image tool for the build host. Encrypts, decrypts
 * and verifies a disk image, or an LBA range of it, with AES-XTS in the
 * dm-crypt aes-xts-plain64 layout (tweak = absolute sector number), so an
 * image it encrypts opens with
 *     cryptsetup open --type plain -c aes-xts-plain64 --key-size 512 \
 *         --key-file KEY IMAGE NAME
 * given the same raw key (derive-key writes the key a passphrase yields).
 * Same code as the VMM: crypto/xts.c and crypto/kdf.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "crypto/kdf.h"
#include "crypto/xts.h"

#define CHUNK_BYTES (1u << 20)
#define DEFAULT_SALT "veneer"

enum cmd { CMD_ENCRYPT, CMD_DECRYPT, CMD_VERIFY, CMD_DERIVE, CMD_KCV };

struct opts {
    enum cmd cmd;
    const char *image, *output, *against;
    const char *key_file, *pass_file, *salt;
    uint32_t iterations;
    size_t sector_size, key_bytes;
    uint64_t offset, count;
    int have_count;
    enum xts_path path;
};

static void usage(FILE *f)
{
    fprintf(f,
"usage: vdisk encrypt|decrypt IMAGE [options]   in place, or --output FILE\n"
"       vdisk verify IMAGE --against PLAIN [options]\n"
"                       decrypts IMAGE and compares it with PLAIN\n"
"       vdisk derive-key --output KEYFILE [passphrase options]\n"
"       vdisk kcv [key options]\n"
"                       prints the key check value Veneer's vmm.kcv= wants\n"
"                       writes the raw key a passphrase yields\n"
"key (one of):\n"
"  --key-file FILE        raw XTS key, 32 (AES-128) or 64 (AES-256) bytes\n"
"  --passphrase-file FILE passphrase (one trailing newline dropped);\n"
"                         without either, asked for on the terminal\n"
"  --salt TEXT            PBKDF2 salt (default \"" DEFAULT_SALT "\")\n"
"  --iterations N         PBKDF2-HMAC-SHA256 iterations (default %u)\n"
"  --key-size 256|512     XTS key bits for a passphrase (default 512)\n"
"range and layout:\n"
"  --sector-size 512|4096 (default 512)\n"
"  --offset LBA           first sector (default 0)\n"
"  --count N              sectors (default: to the end of the image)\n"
"  --output FILE          write the result here (whole image, sectors\n"
"                         outside the range copied) instead of in place\n"
"  --path auto|ct64|aesni|vaes256|vaes512   force an implementation\n"
"A progress bar is drawn when stdout is a terminal.\n",
            KDF_DEFAULT_ITERATIONS);
}

static void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("vdisk: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static uint64_t parse_u64(const char *what, const char *s)
{
    char *end;
    unsigned long long v;

    errno = 0;
    if (*s == '-' || *s == 0)
        die("%s: '%s' is not a non-negative number", what, s);
    v = strtoull(s, &end, 0);
    if (errno || *end)
        die("%s: '%s' is not a number", what, s);
    return v;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        { "key-file", required_argument, 0, 'k' },
        { "passphrase-file", required_argument, 0, 'p' },
        { "salt", required_argument, 0, 's' },
        { "iterations", required_argument, 0, 'i' },
        { "key-size", required_argument, 0, 'K' },
        { "sector-size", required_argument, 0, 'S' },
        { "offset", required_argument, 0, 'o' },
        { "count", required_argument, 0, 'c' },
        { "output", required_argument, 0, 'O' },
        { "against", required_argument, 0, 'a' },
        { "path", required_argument, 0, 'P' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *cmd;
    int c;

    memset(o, 0, sizeof(*o));
    o->salt = DEFAULT_SALT;
    o->iterations = KDF_DEFAULT_ITERATIONS;
    o->sector_size = 512;
    o->key_bytes = 64;
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        exit(argc < 2 ? 2 : 0);
    }
    cmd = argv[1];
    if (!strcmp(cmd, "encrypt"))
        o->cmd = CMD_ENCRYPT;
    else if (!strcmp(cmd, "decrypt"))
        o->cmd = CMD_DECRYPT;
    else if (!strcmp(cmd, "verify"))
        o->cmd = CMD_VERIFY;
    else if (!strcmp(cmd, "derive-key"))
        o->cmd = CMD_DERIVE;
    else if (!strcmp(cmd, "kcv"))
        o->cmd = CMD_KCV;
    else
        die("unknown command '%s' (encrypt, decrypt, verify, derive-key, kcv)",
            cmd);
    optind = 2;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'k': o->key_file = optarg; break;
        case 'p': o->pass_file = optarg; break;
        case 's': o->salt = optarg; break;
        case 'i': {
            uint64_t v = parse_u64("--iterations", optarg);

            if (v == 0 || v > UINT32_MAX)
                die("--iterations: %s is out of range (1..%u)", optarg,
                    UINT32_MAX);
            o->iterations = (uint32_t)v;
            break;
        }
        case 'K': {
            uint64_t v = parse_u64("--key-size", optarg);

            if (v != 256 && v != 512)
                die("--key-size: %s bits is not an XTS key size (256: "
                    "AES-128-XTS, 512: AES-256-XTS)", optarg);
            o->key_bytes = (size_t)v / 8;
            break;
        }
        case 'S': {
            uint64_t v = parse_u64("--sector-size", optarg);

            if (v != 512 && v != 4096)
                die("--sector-size: %s is not supported (512 or 4096)", optarg);
            o->sector_size = (size_t)v;
            break;
        }
        case 'o': o->offset = parse_u64("--offset", optarg); break;
        case 'c':
            o->count = parse_u64("--count", optarg);
            o->have_count = 1;
            break;
        case 'O': o->output = optarg; break;
        case 'a': o->against = optarg; break;
        case 'P': {
            int found = 0;

            for (int p = 0; p < XTS_PATH_COUNT; p++)
                if (!strcmp(optarg, xts_path_name((enum xts_path)p))) {
                    o->path = (enum xts_path)p;
                    found = 1;
                }
            if (!found)
                die("--path: unknown path '%s'", optarg);
            if (o->path != XTS_PATH_AUTO && !xts_path_available(o->path))
                die("--path: this CPU lacks what %s needs", optarg);
            break;
        }
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    if (o->cmd == CMD_DERIVE) {
        if (optind != argc)
            die("derive-key takes no image");
        if (!o->output)
            die("derive-key needs --output KEYFILE");
        if (o->key_file)
            die("derive-key derives from a passphrase, not --key-file");
        return;
    }
    if (o->cmd == CMD_KCV) {
        if (optind != argc)
            die("kcv takes no image");
        return;
    }
    if (optind != argc - 1)
        die("%s needs exactly one IMAGE", cmd);
    o->image = argv[optind];
    if (o->key_file && o->pass_file)
        die("give --key-file or --passphrase-file, not both");
    if (o->cmd == CMD_VERIFY && !o->against)
        die("verify needs --against PLAIN (the expected plaintext image)");
    if (o->cmd != CMD_VERIFY && o->against)
        die("--against is for verify");
    if (o->cmd == CMD_VERIFY && o->output)
        die("verify writes nothing (--output)");
}

/* ---- keys ------------------------------------------------------------------ */

static size_t read_small_file(const char *path, uint8_t *buf, size_t max)
{
    int fd = open(path, O_RDONLY);
    size_t n = 0;
    ssize_t r;

    if (fd < 0)
        die("%s: %s", path, strerror(errno));
    while ((r = read(fd, buf + n, max - n)) > 0) {
        n += (size_t)r;
        if (n == max) {
            uint8_t extra;

            if (read(fd, &extra, 1) == 1)
                die("%s: longer than %zu bytes", path, max);
            break;
        }
    }
    if (r < 0)
        die("%s: %s", path, strerror(errno));
    close(fd);
    return n;
}

static size_t prompt_passphrase(uint8_t *buf, size_t max)
{
    struct termios old, quiet;
    FILE *tty = fopen("/dev/tty", "r+");
    size_t n;

    if (!tty)
        die("no --key-file or --passphrase-file, and no terminal to ask on");
    fputs("Passphrase: ", tty);
    fflush(tty);
    tcgetattr(fileno(tty), &old);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
    if (!fgets((char *)buf, (int)max, tty))
        buf[0] = 0;
    tcsetattr(fileno(tty), TCSAFLUSH, &old);
    fputc('\n', tty);
    fclose(tty);
    n = strlen((char *)buf);
    if (n && buf[n - 1] == '\n')
        n--;
    return n;
}

static size_t get_key(const struct opts *o, uint8_t key[64])
{
    uint8_t pass[1024];
    size_t n;
    int rc;

    if (o->key_file) {
        n = read_small_file(o->key_file, key, 64);
        if (n != 32 && n != 64)
            die("%s: a raw XTS key is 32 or 64 bytes, this one is %zu",
                o->key_file, n);
        return n;
    }
    if (o->pass_file) {
        n = read_small_file(o->pass_file, pass, sizeof(pass));
        if (n && pass[n - 1] == '\n')
            n--;
    } else {
        n = prompt_passphrase(pass, sizeof(pass));
    }
    if (n == 0)
        die("empty passphrase");
    rc = kdf_pbkdf2_sha256(pass, n, o->salt, strlen(o->salt), o->iterations,
                           key, o->key_bytes);
    memset(pass, 0, sizeof(pass));
    if (rc != KDF_OK)
        die("key derivation failed (%d)", rc);
    return o->key_bytes;
}

static void setup_key(const struct opts *o, struct xts_key *k)
{
    uint8_t key[64];
    size_t n = get_key(o, key);
    int rc = xts_key_setup(k, key, n, o->path);

    memset(key, 0, sizeof(key));
    if (rc == XTS_ERR_WEAK_KEY)
        die("refused: the two halves of the XTS key are equal (IEEE 1619 "
            "forbids K1 == K2)");
    if (rc != XTS_OK)
        die("key set-up failed (%d)", rc);
}

/* ---- progress --------------------------------------------------------------- */

struct progress {
    int on;
    const char *what;
    uint64_t total, done;
    int last;
};

static void progress_step(struct progress *p, uint64_t bytes)
{
    int pct, width = 40, fill;

    p->done += bytes;
    if (!p->on || p->total == 0)
        return;
    pct = (int)(p->done * 100 / p->total);
    if (pct == p->last && p->done != p->total)
        return;
    p->last = pct;
    fill = pct * width / 100;
    printf("\r%-8s [%.*s%*s] %3d%% %.1f/%.1f MiB", p->what, fill,
           "========================================", width - fill, "", pct,
           (double)p->done / 1048576.0, (double)p->total / 1048576.0);
    if (p->done >= p->total)
        putchar('\n');
    fflush(stdout);
}

/* ---- the work ---------------------------------------------------------------- */

static void pread_all(int fd, uint8_t *buf, size_t n, uint64_t off,
                      const char *name)
{
    while (n) {
        ssize_t r = pread(fd, buf, n, (off_t)off);

        if (r <= 0)
            die("%s: read at %" PRIu64 ": %s", name, off,
                r < 0 ? strerror(errno) : "unexpected end of file");
        buf += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
}

static void pwrite_all(int fd, const uint8_t *buf, size_t n, uint64_t off,
                       const char *name)
{
    while (n) {
        ssize_t r = pwrite(fd, buf, n, (off_t)off);

        if (r <= 0)
            die("%s: write at %" PRIu64 ": %s", name, off, strerror(errno));
        buf += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
}

static uint64_t image_sectors(int fd, const char *name, size_t ss)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        die("%s: %s", name, strerror(errno));
    if (st.st_size % (off_t)ss)
        die("%s: size %lld is not a multiple of the %zu-byte sector size",
            name, (long long)st.st_size, ss);
    return (uint64_t)st.st_size / ss;
}

static int run(const struct opts *o)
{
    const size_t ss = o->sector_size, chunk = CHUNK_BYTES / ss;
    int in_place = o->cmd != CMD_VERIFY && !o->output;
    int fd, ofd = -1, afd = -1;
    uint64_t nsec, first, end, mismatches = 0, lba;
    uint8_t *buf, *ref = NULL;
    struct xts_key k;
    struct progress pr = { .on = isatty(STDOUT_FILENO), .last = -1 };

    fd = open(o->image, in_place ? O_RDWR : O_RDONLY);
    if (fd < 0)
        die("%s: %s", o->image, strerror(errno));
    nsec = image_sectors(fd, o->image, ss);
    if (nsec == 0)
        die("%s: empty image", o->image);
    if (o->have_count && o->count == 0)
        die("range: --count 0 selects nothing");
    if (o->offset >= nsec)
        die("range: --offset %" PRIu64 " is beyond the image (%" PRIu64
            " sectors of %zu bytes)", o->offset, nsec, ss);
    if (o->have_count && o->count > nsec - o->offset)
        die("range: sectors %" PRIu64 "..%" PRIu64 " go beyond the image (%"
            PRIu64 " sectors of %zu bytes)", o->offset,
            o->offset + o->count - 1, nsec, ss);
    first = o->offset;
    end = o->have_count ? o->offset + o->count : nsec;
    if (o->cmd == CMD_VERIFY) {
        afd = open(o->against, O_RDONLY);
        if (afd < 0)
            die("%s: %s", o->against, strerror(errno));
        if (image_sectors(afd, o->against, ss) != nsec)
            die("%s and %s differ in size", o->image, o->against);
        ref = malloc(CHUNK_BYTES);
    }
    if (o->output) {
        struct stat a, b;

        /* Before O_TRUNC, or the image would be gone. */
        if (fstat(fd, &a) == 0 && stat(o->output, &b) == 0 &&
            a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            die("--output is the image itself: leave --output out to work in place");
        ofd = open(o->output, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (ofd < 0)
            die("%s: %s", o->output, strerror(errno));
    }
    setup_key(o, &k);
    buf = aligned_alloc(64, CHUNK_BYTES);
    if (!buf)
        die("out of memory");

    pr.what = o->cmd == CMD_ENCRYPT ? "encrypt" : o->cmd == CMD_DECRYPT
                                                      ? "decrypt" : "verify";
    /* With --output every sector is written (the range transformed, the
     * rest copied); in place, only the range is touched. */
    lba = ofd >= 0 ? 0 : first;
    pr.total = ((ofd >= 0 ? nsec : end) - lba) * ss;
    for (; lba < (ofd >= 0 ? nsec : end);) {
        uint64_t n = (ofd >= 0 ? nsec : end) - lba;
        uint64_t a, b;

        if (n > chunk)
            n = chunk;
        pread_all(fd, buf, n * ss, lba * ss, o->image);
        /* the part of [lba, lba + n) inside [first, end) */
        a = lba > first ? lba : first;
        b = lba + n < end ? lba + n : end;
        if (a < b) {
            uint8_t *p = buf + (a - lba) * ss;
            int rc = o->cmd == CMD_ENCRYPT
                         ? xts_encrypt_sectors(&k, a, ss, b - a, p, p)
                         : xts_decrypt_sectors(&k, a, ss, b - a, p, p);

            if (rc != XTS_OK)
                die("XTS failed at sector %" PRIu64 " (%d)", a, rc);
        }
        if (o->cmd == CMD_VERIFY) {
            pread_all(afd, ref, n * ss, lba * ss, o->against);
            for (uint64_t s = a; s < b; s++)
                if (memcmp(buf + (s - lba) * ss, ref + (s - lba) * ss, ss)) {
                    if (mismatches < 5)
                        fprintf(stderr, "vdisk: sector %" PRIu64
                                " does not decrypt to %s\n", s, o->against);
                    mismatches++;
                }
        } else {
            pwrite_all(ofd >= 0 ? ofd : fd, buf, n * ss, lba * ss,
                       ofd >= 0 ? o->output : o->image);
        }
        lba += n;
        progress_step(&pr, n * ss);
    }
    xts_key_wipe(&k);
    memset(buf, 0, CHUNK_BYTES);
    free(buf);
    free(ref);
    if (ofd >= 0 && close(ofd) < 0)
        die("%s: %s", o->output, strerror(errno));
    if (in_place && fsync(fd) < 0)
        die("%s: %s", o->image, strerror(errno));
    close(fd);
    if (o->cmd == CMD_VERIFY) {
        if (mismatches) {
            printf("verify: %" PRIu64 " of %" PRIu64 " sectors differ\n",
                   mismatches, end - first);
            return 1;
        }
        printf("verify: sectors %" PRIu64 "..%" PRIu64 " (%" PRIu64
               ") decrypt to %s\n", first, end - 1, end - first, o->against);
    }
    return 0;
}

static int derive(const struct opts *o)
{
    uint8_t key[64];
    size_t n = get_key(o, key);
    int fd;

    if (n == 64 ? !memcmp(key, key + 32, 32) : !memcmp(key, key + 16, 16))
        die("refused: the derived key has equal halves");
    fd = open(o->output, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        die("%s: %s", o->output, strerror(errno));
    if (isatty(fd))
        die("%s: will not write a raw key to a terminal", o->output);
    pwrite_all(fd, key, n, 0, o->output);
    memset(key, 0, sizeof(key));
    if (close(fd) < 0)
        die("%s: %s", o->output, strerror(errno));
    return 0;
}

/* The value for vmm.kcv=: Veneer checks the key it derives or reads
 * against it before it encrypts anything (crypto/kdf.h). */
static int print_kcv(const struct opts *o)
{
    uint8_t key[64], kcv[8];
    size_t n = get_key(o, key);

    if (n != 64)
        die("Veneer's keys are AES-256-XTS (64 bytes); this key is %zu bytes", n);
    kdf_key_check_value(key, n, kcv);
    memset(key, 0, sizeof(key));
    for (int i = 0; i < 8; i++)
        printf("%02x", kcv[i]);
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;

    parse_args(argc, argv, &o);
    if (o.cmd == CMD_KCV)
        return print_kcv(&o);
    return o.cmd == CMD_DERIVE ? derive(&o) : run(&o);
}

/* The VMM console: COM1 at 115200 8N1, polled. */
#include <platform/cpu.h>
#include <platform/format.h>
#include <platform/log.h>
#include <platform/logring.h>
#include <platform/spinlock.h>
#include <stdarg.h>

#define COM1 0x3f8
#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_LCR_DLAB 0x80

int log_threshold = LOG_INFO;
static spinlock_t console_lock = SPINLOCK_INIT;
static bool console_ready;

void console_init(void)
{
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, UART_LCR_DLAB);
    outb(COM1 + 0, 1); /* divisor 1: 115200 baud */
    outb(COM1 + 1, 0);
    outb(COM1 + UART_LCR, 0x03); /* 8N1 */
    outb(COM1 + UART_FCR, 0xc7); /* FIFO on, cleared, 14-byte threshold */
    outb(COM1 + UART_MCR, 0x03); /* DTR, RTS; OUT2 off: no interrupts */
    console_ready = true;
}

static void uart_putc(char c)
{
    /* Bounded wait: a missing UART must not hang the VMM. */
    for (int i = 0; i < 100000; i++)
        if (inb(COM1 + UART_LSR) & UART_LSR_THRE)
            break;
    outb(COM1 + UART_THR, (u8)c);
}

static void console_write_locked(const char *s, size_t n)
{
    if (!console_ready)
        console_init();
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            uart_putc('\r');
        uart_putc(s[i]);
    }
}

void console_write(const char *s, size_t n)
{
    u64 f = spin_lock_irqsave(&console_lock);

    console_write_locked(s, n);
    spin_unlock_irqrestore(&console_lock, f);
}

int console_poll_char(void)
{
    if (!console_ready)
        console_init();
    if (!(inb(COM1 + UART_LSR) & UART_LSR_DR))
        return -1;
    return inb(COM1 + UART_THR); /* RBR shares the THR's offset */
}

void console_force_unlock(void)
{
    console_lock.owner = console_lock.next;
}

static void vprint(const char *prefix, const char *fmt, va_list ap)
{
    char line[512];
    size_t n = 0;

    if (prefix)
        n = (size_t)ksnprintf(line, sizeof(line), "%s", prefix);
    int m = kvsnprintf(line + n, sizeof(line) - n, fmt, ap);
    n += (size_t)m;
    if (n >= sizeof(line) - 1) {
        n = sizeof(line) - 1; /* truncated: mark it and still end the line */
        line[n - 4] = line[n - 3] = line[n - 2] = '.';
        line[n - 1] = '\n';
    }
    console_write(line, n);
}

void console_printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprint(NULL, fmt, ap);
    va_end(ap);
}

void log_write(enum log_level lvl, const char *subsys, const char *fmt, ...)
{
    static const char letters[] = "EWID";
    char prefix[40];
    char line[512];
    va_list ap;

    if ((int)lvl > log_threshold)
        return;
    ksnprintf(prefix, sizeof(prefix), "%c %s: ", letters[lvl], subsys);
    va_start(ap, fmt);
    kvsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    console_printf("%s%s\n", prefix, line);
    char full[sizeof(prefix) + sizeof(line) + 1];
    size_t n = (size_t)ksnprintf(full, sizeof(full), "%s%s\n", prefix, line);
    if (n >= sizeof(full)) {
        n = sizeof(full) - 1;
        full[n - 1] = '\n';
    }
    log_ring_write(full, n);
}

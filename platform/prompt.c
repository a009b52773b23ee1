/* The passphrase prompt before the OS boots: on the serial console (COM1,
 * polled) and on the VGA text screen with the PS/2 keyboard, whichever
 * the person types on. Nothing typed is echoed (a '*' per character). */
#include <platform/cpu.h>
#include <platform/layout.h>
#include <platform/log.h>
#include <platform/prompt.h>
#include <string.h>

#define KBD_DATA 0x60
#define KBD_STATUS 0x64
#define KBD_STATUS_OBF 0x01
#define KBD_STATUS_AUX 0x20 /* the byte is from the mouse */

#define VGA_TEXT 0xb8000
#define VGA_COLS 80
#define VGA_ROWS 25
#define VGA_ATTR 0x0f00 /* white on black */

/* Scan code set 1 (what the i8042 hands over after the BIOS set
 * translation on), make codes 0x02-0x39, unshifted and shifted. */
static const char kbd_plain[0x3a] =
    "\0\0331234567890-=\b\tqwertyuiop[]\n\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
static const char kbd_shift[0x3a] =
    "\0\033!@#$%^&*()_+\b\tQWERTYUIOP{}\n\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";
#define SC_LSHIFT 0x2a
#define SC_RSHIFT 0x36
#define SC_BREAK 0x80

static unsigned vga_row, vga_col;
static bool shift;

static volatile u16 *vga(void)
{
    return phys_to_virt(VGA_TEXT);
}

static void vga_putc(char c)
{
    if (c == '\n' || vga_col == VGA_COLS) {
        vga_col = 0;
        if (++vga_row == VGA_ROWS)
            vga_row = 0;
        for (unsigned i = 0; i < VGA_COLS; i++)
            vga()[vga_row * VGA_COLS + i] = VGA_ATTR | ' ';
        if (c == '\n')
            return;
    }
    if (c == '\b') {
        if (vga_col)
            vga()[vga_row * VGA_COLS + --vga_col] = VGA_ATTR | ' ';
        return;
    }
    vga()[vga_row * VGA_COLS + vga_col++] = VGA_ATTR | (u8)c;
}

static void both_puts(const char *s)
{
    console_write(s, strlen(s));
    for (; *s; s++)
        vga_putc(*s);
}

/* The next character typed on either console, or 0 for none yet. */
static char poll_char(void)
{
    int in = console_poll_char();
    if (in >= 0) {
        char c = (char)in;
        return c == '\r' ? '\n' : c == 0x7f ? '\b' : c;
    }
    u8 st = inb(KBD_STATUS);
    if (!(st & KBD_STATUS_OBF))
        return 0;
    u8 sc = inb(KBD_DATA);
    if (st & KBD_STATUS_AUX)
        return 0;
    if ((sc & ~SC_BREAK) == SC_LSHIFT || (sc & ~SC_BREAK) == SC_RSHIFT) {
        shift = !(sc & SC_BREAK);
        return 0;
    }
    if ((sc & SC_BREAK) || sc >= sizeof(kbd_plain))
        return 0;
    return shift ? kbd_shift[sc] : kbd_plain[sc];
}

static void drain_input(void)
{
    for (int i = 0; i < 64 && poll_char(); i++)
        ;
}

void prompt_message(const char *text)
{
    both_puts(text);
}

size_t prompt_secret(const char *label, char *buf, size_t size)
{
    size_t n = 0;

    if (vga_row == 0 && vga_col == 0)
        for (unsigned i = 0; i < VGA_COLS * VGA_ROWS; i++)
            vga()[i] = VGA_ATTR | ' ';
    drain_input();
    both_puts(label);
    for (;;) {
        char c = poll_char();
        if (!c) {
            cpu_relax();
            continue;
        }
        if (c == '\n')
            break;
        if (c == '\b') {
            if (n) {
                n--;
                both_puts("\b \b");
            }
            continue;
        }
        if ((u8)c < 0x20 || n + 1 >= size)
            continue;
        buf[n++] = c;
        both_puts("*");
    }
    buf[n] = 0;
    both_puts("\n");
    return n;
}

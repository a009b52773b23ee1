/* The pre-boot console for secrets (platform/prompt.c): serial and VGA text,
 * serial or PS/2 keyboard input, polled. Only before the guest runs: it
 * takes the keyboard controller and the screen from the firmware. */
#ifndef VENEER_PLATFORM_PROMPT_H
#define VENEER_PLATFORM_PROMPT_H

#include <platform/types.h>

/* Prints `text` on both consoles. */
void prompt_message(const char *text);

/* Prints `label`, reads a line into buf (NUL-terminated, at most size-1
 * characters; one '*' echoed per character, backspace edits) and returns
 * its length. */
size_t prompt_secret(const char *label, char *buf, size_t size);

#endif

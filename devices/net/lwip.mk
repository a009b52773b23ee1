# Builds liblwip.a from the unpacked Debian source (devices/net/module.mk
# runs this as a sub-make once the source is there). Only what a NO_SYS,
# raw-API, IPv4 stack needs: the core, IPv4 and Ethernet.
#
#   make -f devices/net/lwip.mk SRC=build/lwip-src OUT=build/lwip-vmm FLAGS="..."

L := $(SRC)/src
srcs := $(addprefix $(L)/core/,init.c def.c inet_chksum.c ip.c mem.c memp.c \
	netif.c pbuf.c stats.c sys.c tcp.c tcp_in.c tcp_out.c timeouts.c udp.c) \
	$(addprefix $(L)/core/ipv4/,dhcp.c etharp.c icmp.c ip4.c ip4_addr.c ip4_frag.c) \
	$(L)/netif/ethernet.c
objs := $(patsubst $(L)/%.c,$(OUT)/obj/%.o,$(srcs))

$(OUT)/liblwip.a: $(objs)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $(objs)

$(OUT)/obj/%.o: $(L)/%.c $(OUT)/flags devices/net/port/lwipopts.h devices/net/port/arch/cc.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(FLAGS) -c $< -o $@

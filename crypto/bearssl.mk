# Builds one libbearssl.a from the unpacked Debian source (crypto/module.mk
# runs this as a sub-make once the source is there, so the file list can be
# read from the tree).
#
#   make -f crypto/bearssl.mk SRC=build/bearssl-src OUT=build/bearssl-vmm \
#        FLAGS="..."     (OUT/flags holds FLAGS: objects depend on it)

srcs := $(sort $(wildcard $(SRC)/src/*/*.c $(SRC)/src/*.c))
objs := $(patsubst $(SRC)/src/%.c,$(OUT)/obj/%.o,$(srcs))

$(OUT)/libbearssl.a: $(objs)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $(objs)

$(OUT)/obj/%.o: $(SRC)/src/%.c $(OUT)/flags
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(FLAGS) -I$(SRC)/src -I$(SRC)/inc -c $< -o $@

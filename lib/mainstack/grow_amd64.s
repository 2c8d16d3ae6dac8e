#include "textflag.h"

// func grow(): a 16 KiB frame the prologue must find room for; the body
// touches none of it.
TEXT ·grow(SB),0,$16384-0
	RET

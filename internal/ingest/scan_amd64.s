//go:build amd64 && !purego

#include "textflag.h"

// func scanMasks(p []byte, pd uint64, masks []uint16) (special, high uint32)
TEXT ·scanMasks(SB), NOSPLIT, $0-64
	MOVQ p_base+0(FP), SI
	MOVQ p_len+8(FP), CX
	MOVQ pd+24(FP), AX
	MOVQ masks_base+32(FP), DI
	MOVQ AX, X1
	PUNPCKLQDQ X1, X1           // the delimiter in every byte
	MOVQ $0x2222222222222222, AX
	MOVQ AX, X2
	PUNPCKLQDQ X2, X2           // '"' in every byte
	PXOR X3, X3                 // NUL in every byte
	XORL R8, R8                 // special
	XORL R9, R9                 // high
	SHRQ $4, CX
	JZ   done

loop:
	MOVOU (SI), X0
	PMOVMSKB X0, R10
	ORL  R10, R9
	MOVO X0, X4
	PCMPEQB X1, X4
	PMOVMSKB X4, R10
	MOVW R10, (DI)
	MOVO X0, X4
	PCMPEQB X2, X4
	PCMPEQB X3, X0
	POR  X4, X0
	PMOVMSKB X0, R10
	ORL  R10, R8
	ADDQ $16, SI
	ADDQ $2, DI
	DECQ CX
	JNZ  loop

done:
	MOVL R8, special+56(FP)
	MOVL R9, high+60(FP)
	RET

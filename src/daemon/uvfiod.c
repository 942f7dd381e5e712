// SPDX-License-Identifier: MIT
#include "uvfiod.h"

int main(int argc, char **argv)
{
	return uvfiod_main(argc, argv);
}

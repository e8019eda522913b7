/* Force-included (CMake, PYDARKNET_FAST_CPU=ON) into the darknet files whose CPU kernels
 * native/pdn_fast_cpu.c replaces; the file is picked by the PDN_FAST_CPU_<FILE> define that
 * CMake sets on that one source file.
 *
 * darknet's definitions are made weak, so the strong ones in pdn_fast_cpu.c win at link time for
 * every caller, including callers inside the same darknet file (make_maxpool_layer's
 * `l.forward = forward_maxpool_layer`, forward_convolutional_layer's add_bias). A rename by
 * COMPILE_DEFINITIONS, as done for gemm, would have renamed those uses too and kept them on
 * darknet's code. Each original stays reachable as pdn_darknet_<name> (a weak alias of darknet's
 * body) for pdn_fast_cpu_selftest().
 *
 * No declarations here: this is read before anything else in the file.
 */
#ifndef PDN_FAST_CPU_H
#define PDN_FAST_CPU_H

#ifdef PDN_FAST_CPU_IM2COL
#pragma weak im2col_cpu
#pragma weak pdn_darknet_im2col_cpu = im2col_cpu
#endif

#ifdef PDN_FAST_CPU_ACTIVATIONS
#pragma weak activate_array
#pragma weak pdn_darknet_activate_array = activate_array
#endif

#ifdef PDN_FAST_CPU_MAXPOOL
#pragma weak forward_maxpool_layer
#pragma weak pdn_darknet_forward_maxpool_layer = forward_maxpool_layer
#endif

#ifdef PDN_FAST_CPU_BLAS
#pragma weak normalize_cpu
#pragma weak pdn_darknet_normalize_cpu = normalize_cpu
#pragma weak fill_cpu
#pragma weak pdn_darknet_fill_cpu = fill_cpu
#pragma weak copy_cpu
#pragma weak pdn_darknet_copy_cpu = copy_cpu
#endif

#ifdef PDN_FAST_CPU_CONV
#pragma weak scale_bias
#pragma weak pdn_darknet_scale_bias = scale_bias
#pragma weak add_bias
#pragma weak pdn_darknet_add_bias = add_bias
#endif

#endif

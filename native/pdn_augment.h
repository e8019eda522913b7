/* Force-included (CMake) into darknet's data.c (PDN_AUGMENT_DATA) and image.c
 * (PDN_AUGMENT_IMAGE): makes the two functions behind the detection loader's random horizontal
 * flip weak, so native/pdn_augment.c can switch the flip off (mirrored characters are other
 * characters, or none). The originals stay reachable as pdn_darknet_<name>.
 * No declarations here: this is read before anything else in the file.
 */
#ifndef PDN_AUGMENT_H
#define PDN_AUGMENT_H
#ifdef PDN_AUGMENT_DATA
#pragma weak correct_boxes
#pragma weak pdn_darknet_correct_boxes = correct_boxes
#endif
#ifdef PDN_AUGMENT_IMAGE
#pragma weak flip_image
#pragma weak pdn_darknet_flip_image = flip_image
#endif
#endif

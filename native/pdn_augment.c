/* The detection loader's horizontal flip, switchable (see pdn_augment.h). darknet flips each
 * training image with probability 1/2 (load_data_detection: flip_image on the pixels,
 * correct_boxes on the labels); with the flip off both become no-ops for the flip, together. */
#include "darknet.h"
#include "pdn_native.h"

void pdn_darknet_correct_boxes(box_label *boxes, int n, float dx, float dy, float sx, float sy, int flip);
void pdn_darknet_flip_image(image a);

static volatile int flip_enabled = 1;

void pdn_set_training_flip(int enabled) { flip_enabled = enabled != 0; }
int pdn_get_training_flip(void) { return flip_enabled; }

void correct_boxes(box_label *boxes, int n, float dx, float dy, float sx, float sy, int flip)
{
    pdn_darknet_correct_boxes(boxes, n, dx, dy, sx, sy, flip && flip_enabled);
}

void flip_image(image a)
{
    if (flip_enabled) pdn_darknet_flip_image(a);
}

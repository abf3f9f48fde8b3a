"""From a label table and an image folder to training batches: layouts, labels, images, the cache, splits,
uncertainty policies, augmentation and batches."""

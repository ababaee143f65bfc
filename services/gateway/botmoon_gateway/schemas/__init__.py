"""REST request and response models; never protobuf."""

"""Pure sandbox logic: no docker, no grpc."""

"""Administration from the command line (`make org`): not part of the layer, never deployed."""

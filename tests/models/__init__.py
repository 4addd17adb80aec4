"""The models: decoding, drift, and Polar's API versions."""

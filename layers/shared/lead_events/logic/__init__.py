"""The product's rules. Each function takes the store it needs as an argument."""

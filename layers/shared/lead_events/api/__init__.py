"""What every HTTP function shares: error answers, the caller's organization, common parameters."""

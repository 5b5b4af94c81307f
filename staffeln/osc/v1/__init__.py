"""The commands of Staffeln's API version 1."""

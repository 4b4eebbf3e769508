"""The SDG (ODD) toolbox: the UN framework, partnerships, their contribution, and the transferable grid."""

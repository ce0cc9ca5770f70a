import LinearAlgebra
print(BLASLibrary.loaded())

module checkdata

go 1.26

module github.com/jikimi/jikimi

go 1.26
